"""Session recording: the recorder, the recording file format, reading it back, playback."""
