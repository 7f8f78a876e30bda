// post_handshake: not written yet
