// hex: not written yet
