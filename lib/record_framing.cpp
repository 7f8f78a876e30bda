// record_framing: not written yet
