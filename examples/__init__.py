"""Reference services built only on ai_voice_shared's public API, tested with its fixtures."""
