grep -E 'CreateContainer|TaskCreate|/tasks/create' /var/lib/ctrdoc-lab/containerd.log | tail -20
