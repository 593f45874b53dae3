"""The ``ai-voice-shared`` command line, behind :mod:`ai_voice_shared_testing.cli`.

From the bottom up (each module imports only modules listed before it):

- :mod:`.exits`: the exit codes and the usage error every command may raise;
- :mod:`.signature_doctor` and :mod:`.fake_stack`: what the commands drive;
- one module per command, each with its options (``configure``) and its ``run``:
  :mod:`.verify`, :mod:`.send`, :mod:`.fakes`, :mod:`.demo`;
- :mod:`.main`: the parser built from the commands, and the dispatch.

A command loads the library only when it runs, so ``--help`` stays fast.
"""
