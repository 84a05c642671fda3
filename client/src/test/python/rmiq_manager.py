"""The seed's QueueManager, pointed at an rmiq server: HOST PORT KEYFILE on the command line."""
import sys
from multiprocessing.managers import BaseManager


class QueueManager(BaseManager):
    pass


QueueManager.register('get_task_queue')
QueueManager.register('get_result_queue')


def connect(argv=None):
    host, port, keyfile = (argv or sys.argv)[1:4]
    with open(keyfile, 'rb') as f:
        key = f.read().strip()
    m = QueueManager(address=(host, int(port)), authkey=key)
    m.connect()
    return m
