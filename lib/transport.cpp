// transport: not written yet
