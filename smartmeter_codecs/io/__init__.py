"""I/O for smartmeter-codecs: readers and clients that open ports or sockets (the decoders never do)."""
