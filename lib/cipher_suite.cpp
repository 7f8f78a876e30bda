// cipher_suite: not written yet
