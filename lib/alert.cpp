// alert: not written yet
