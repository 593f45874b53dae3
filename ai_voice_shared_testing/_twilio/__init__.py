"""The fake Twilio REST API's parts, bottom up: ``errors`` (Twilio's error documents),
``resources`` (Media and Message records as twilio-oai renders them, Twilio's paging),
``callbacks`` (status callbacks signed as Twilio signs them). The face is
:mod:`ai_voice_shared_testing.twilio_api`."""
