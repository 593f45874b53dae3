"""A Flask app whose ``before_request`` hook reads ``request.values``, served by Werkzeug.

``python -m tests.shared.adapters.flask_hook_app PORT`` (with ``TWILIO_*`` set) serves
``POST /hook`` under Werkzeug's own server until stopped.
"""

from __future__ import annotations

import sys

import flask
from werkzeug.serving import make_server

from ai_voice_shared import TwilioWebhookPayload
from ai_voice_shared.adapters.flask import twilio_webhook_view, twiml_response


def create_app(read: str = "values") -> flask.Flask:
    """The app; its hook reads ``request.<read>`` (``form`` or ``values``) before every view."""
    app = flask.Flask("aivs-form-hook")

    @app.before_request
    def log_the_sender() -> None:
        app.logger.debug("from %s", getattr(flask.request, read).get("From"))

    @app.post("/hook")
    @twilio_webhook_view()
    def hook(payload: TwilioWebhookPayload) -> flask.Response:
        return twiml_response(f"got {payload.message_sid}")

    return app


if __name__ == "__main__":
    make_server("127.0.0.1", int(sys.argv[1]), create_app()).serve_forever()
