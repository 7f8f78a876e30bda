// record_protection: not written yet
