"""Channels: adapters that take a query by SMS or phone, call verify, and answer in the channel's form.

``sms`` is the SMS gateway's webhook; ``ivr`` serves a VoiceXML 2.1 dialogue to an IVR platform.
The pure parts (finding a code in free text, composing a 70-character reply, checking a webhook
signature, placing a phone number, building VoiceXML) live in their own modules.
"""

from jianguan.channels import ivr, sms

ROUTERS = [sms.router, ivr.router]
