// key_schedule: not written yet
