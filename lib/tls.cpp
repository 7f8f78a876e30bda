// tls: not written yet
