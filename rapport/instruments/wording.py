"""The words of Rapport's own instruments, listed for the translation catalogues.

Made by `rapport messages` (`make messages`) from the instrument files: do not edit. Nothing
imports it; the message extractor reads it, and rapport.measures.wording translates the words
when a form is shown.
"""

from django.utils.translation import gettext_noop as _

# Translators: checkin-adult, title
_('Rapport Check-in')
# Translators: checkin-adult, short title
_('Check-in')
# Translators: checkin-adult, description
_('How have things been for you over the past week? For each question, pick a number from 0 to 10. 0 means very bad and 10 means very good. There are no right or wrong answers. Your therapist will look at your answers with you.')
# Translators: checkin-adult, checkin-feeling
_('How have you been feeling in yourself?')
# Translators: checkin-adult, checkin-feeling lower label
_('Very bad')
# Translators: checkin-adult, checkin-feeling upper label
_('Very good')
# Translators: checkin-adult, checkin-home
_('How have things been at home and with the people close to you?')
# Translators: checkin-adult, checkin-school
_('How have things been at work, at school or in your daily life?')
# Translators: checkin-adult, checkin-overall
_('Overall, how have things been for you?')
# Translators: checkin-caregiver, title
_('Rapport Check-in for parents and carers')
# Translators: checkin-caregiver, short title
_('Check-in (carer)')
# Translators: checkin-caregiver, description
_("Please think about your child over the past week. For each question, pick a number from 0 to 10. 0 means very bad and 10 means very good. The therapist will look at your answers alongside your child's.")
# Translators: checkin-caregiver, checkin-feeling
_('How has your child been feeling in themselves?')
# Translators: checkin-caregiver, checkin-home
_('How have things been for your child at home and with family?')
# Translators: checkin-caregiver, checkin-school
_('How have things been for your child at school and with friends?')
# Translators: checkin-caregiver, checkin-overall
_('Overall, how has your child been doing?')
# Translators: checkin-child, title
_('Rapport Check-in for children')
# Translators: checkin-child, description
_('How has your week been? Pick a number from 0 to 10 for each one. 0 is really bad. 10 is really good. There are no right or wrong answers.')
# Translators: checkin-child, checkin-feeling
_('How have you been feeling?')
# Translators: checkin-child, checkin-feeling lower label
_('Really bad')
# Translators: checkin-child, checkin-feeling upper label
_('Really good')
# Translators: checkin-child, checkin-home
_('How have things been at home and with your family?')
# Translators: checkin-child, checkin-school
_('How have things been at school and with friends?')
# Translators: checkin-child, checkin-overall
_('How has your week been, all in all?')
# Translators: feedback-child, title
_('Rapport Session Feedback for children')
# Translators: feedback-child, short title
_('Feedback')
# Translators: feedback-child, description
_('Tell us how today went. Pick a number from 0 to 10 for each one. Your therapist will read your answers. So may the person who helps your therapist with their work. It is fine to pick a low number. It helps your therapist make next time better.')
# Translators: feedback-child, feedback-bond
_('My therapist was kind and listened to me.')
# Translators: feedback-child, feedback-bond lower label
_('Not at all')
# Translators: feedback-child, feedback-bond upper label
_('Yes, a lot')
# Translators: feedback-child, feedback-goals
_('We worked on the things that matter to me.')
# Translators: feedback-child, feedback-approach
_('I liked the way we did things today.')
# Translators: feedback-child, feedback-overall
_("Today's session helped me.")
# Translators: feedback-child, feedback-helped
_('What helped you most today?')
# Translators: feedback-child, feedback-better
_('What could have been better?')
# Translators: feedback-client, title
_('Rapport Session Feedback')
# Translators: feedback-client, description
_("Please tell us how today's session went for you. Pick a number from 0 to 10 for each statement. Your therapist will read your answers, and their clinical supervisor may see them too. A low number is useful to hear: it helps your therapist make the next session better for you.")
# Translators: feedback-client, feedback-bond
_('I felt my therapist cared about me and took me seriously.')
# Translators: feedback-client, feedback-bond upper label
_('Completely')
# Translators: feedback-client, feedback-goals
_('We worked on the things that matter most to me.')
# Translators: feedback-client, feedback-approach
_('The way we worked today made sense to me.')
# Translators: feedback-client, feedback-overall
_("Overall, today's session was helpful.")
# Translators: feedback-client, feedback-helped
_("What helped you most in today's session?")
# Translators: feedback-guardian, title
_('Rapport Session Feedback for parents and carers')
# Translators: feedback-guardian, short title
_('Feedback (carer)')
# Translators: feedback-guardian, description
_("Please tell us how today's session went for you as a parent or carer. Pick a number from 0 to 10 for each statement. The therapist will read your answers, and their clinical supervisor may see them too. A low number is useful to hear: it helps the therapist work better with you and your child.")
# Translators: feedback-guardian, feedback-bond
_('I felt the therapist listened to me and valued what I had to say.')
# Translators: feedback-guardian, feedback-goals
_('We worked on what matters most for my child and our family.')
# Translators: feedback-guardian, feedback-approach
_('The way the therapist is working with us makes sense to me.')
# Translators: feedback-guardian, feedback-helped
_("What helped you or your child most in today's session?")
# Translators: feedback-therapist, title
_("Rapport Session Feedback: therapist's view")
# Translators: feedback-therapist, short title
_('Feedback (therapist)')
# Translators: feedback-therapist, description
_("Rate today's session from your side, on the same four points the client rates. Your ratings are shown next to the client's, so differences in how you each saw the session show up early.")
# Translators: feedback-therapist, feedback-bond
_('The client and I had a warm, trusting connection today.')
# Translators: feedback-therapist, feedback-goals
_('We agreed on what to work on today.')
# Translators: feedback-therapist, feedback-approach
_('We agreed on how to work today.')
# Translators: feedback-therapist, feedback-overall
_('Overall, the session went well for this client.')
# Translators: feedback-therapist, feedback-better
_('What could have gone better, from your side?')
# Translators: goal-progress, title
_('Rapport Goal Progress')
# Translators: goal-progress, short title
_('Goal')
# Translators: goal-progress, description
_('Think about this goal from your plan. Pick a number from 0 to 10. 0 means you are not close yet. 10 means you have reached it.')
# Translators: goal-progress, goal-progress
_('How close are you to this goal?')
# Translators: goal-progress, goal-progress lower label
_('Not close yet')
# Translators: goal-progress, goal-progress upper label
_('Goal reached')
