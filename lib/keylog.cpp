// keylog: not written yet
