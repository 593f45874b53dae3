"""Clients for the systems the AI Voice services talk to (S3, customer-lookup-server).

Import from the modules (``ai_voice_shared.services.s3_service``) or from the top-level
package; this package imports nothing itself, so boto3 loads only when S3 is used.
"""

from __future__ import annotations
