"""Peak memory of a test's subprocess, measured by the subprocess itself.

``getrusage(RUSAGE_SELF).ru_maxrss`` is the wrong measure there: Linux carries the high-water
mark of the pre-exec address space across ``exec``, so a child forked from a large pytest
process reports the parent's size (1 GB on CI for a load that peaks at 300 MB). ``VmHWM`` in
``/proc/self/status`` belongs to the child's own address space.
"""

PRINT_PEAK_MB = ("print('peak', int(next(line for line in open('/proc/self/status') "
                 "if line.startswith('VmHWM')).split()[1]) // 1024)\n")
