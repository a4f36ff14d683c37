"""Running an installation: the background `worker` that queues the domain apps' scheduled jobs
(which stay in their apps' tasks and services) and runs them. No domain app depends on it."""
