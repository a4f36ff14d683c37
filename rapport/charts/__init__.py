"""Charts drawn on the server as SVG (the progress chart written directly, the others with
matplotlib): they need no JavaScript, no network, and print exactly as shown. Every chart on a
page has the same data in an accessible table beside it."""
