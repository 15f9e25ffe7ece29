"""The video room: playing a job's videos with QtMultimedia (imported only when a video is
played, and degrading clearly where this machine lacks it), and animating an image from a URL."""
