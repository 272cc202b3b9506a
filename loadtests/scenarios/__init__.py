"""Load scenarios, one small file each (data read by ``easclient.load.scenario``)."""
