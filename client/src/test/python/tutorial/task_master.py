#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# michaelliao/learn-python3 samples/multitask/task_master.py, changed only to connect() to rmiq's
# Python port (PORT KEYFILE on the command line) where it would start() a manager of its own, and
# so without the shutdown() that only a started manager has.

import random, time, queue, sys
from multiprocessing.managers import BaseManager

# 发送任务的队列:
task_queue = queue.Queue()
# 接收结果的队列:
result_queue = queue.Queue()

# 从BaseManager继承的QueueManager:
class QueueManager(BaseManager):
    pass

# 把两个Queue都注册到网络上, callable参数关联了Queue对象:
QueueManager.register('get_task_queue', callable=lambda: task_queue)
QueueManager.register('get_result_queue', callable=lambda: result_queue)
# 绑定端口5000, 设置验证码'abc':
manager = QueueManager(address=('127.0.0.1', int(sys.argv[1])), authkey=open(sys.argv[2], 'rb').read().strip())
# 启动Queue:
manager.connect()
# 获得通过网络访问的Queue对象:
task = manager.get_task_queue()
result = manager.get_result_queue()
# 放几个任务进去:
for i in range(10):
    n = random.randint(0, 10000)
    print('Put task %d...' % n)
    task.put(n)
# 从result队列读取结果:
print('Try get results...')
for i in range(10):
    r = result.get(timeout=10)
    print('Result: %s' % r)
# 关闭:
print('master exit.')
