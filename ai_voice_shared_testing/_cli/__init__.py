"""The ``ai-voice-shared`` command line, behind :mod:`ai_voice_shared_testing.cli`.

- :mod:`.exits`: the exit codes and the usage error every command may raise;
- one module per command, each with its options (``configure``) and its ``run``:
  :mod:`.demo`, :mod:`.fakes` (on :mod:`.fake_stack`), :mod:`.verify` (on
  :mod:`.signature_doctor`);
- :mod:`.main`: the parser built from the commands, and the dispatch.

Imports run from :mod:`.main` down to the commands, never back; a command loads the library
only when it runs, so ``--help`` stays fast.
"""
