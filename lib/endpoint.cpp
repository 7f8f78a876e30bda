// endpoint: not written yet
