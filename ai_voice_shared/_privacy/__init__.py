"""Keep phone numbers out of logs and error messages, whoever writes them.

The family: :mod:`.masking` (numbers in a text) and :mod:`.logs` (every log record made while a
call runs).

- :func:`mask_numbers_in` masks every phone-number-like run of digits in a text (a server's
  error body may echo the number in any spelling, or several numbers).
- :func:`mask_number_in` masks one known number in a text, in any spelling: wherever a run of
  digits (with the separators people, URL encoding and ``bytes`` reprs put between them, in any
  script's digits) spells the number, or its last seven digits or more (a national spelling).
  Other digits (request ids, addresses, ports, timestamps) are left alone.
- :func:`scrubbed_logs` masks given numbers, in any spelling, in every log record created while
  it is active in this thread or task, whatever logger emits it (``httpx`` logs each request
  URL at INFO, with the number in the query string; ``httpcore`` logs response headers at
  DEBUG, where a server may echo the number). It installs a log record factory that chains to
  the one in place; records created outside the block, and every handler, level and filter,
  are untouched.
"""

from __future__ import annotations
