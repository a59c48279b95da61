# shellcheck shell=sh
# Run inside a harness guest (busybox sh): writes a hung-task report with a
# Linux 6.x async-PF call trace into the kernel log through /dev/kmsg, as the
# hung-task detector would print it for a task parked by async PF.
for l in \
  '<3>INFO: task sggp-stall:4242 blocked for more than 120 seconds.' \
  '<3>      Not tainted 6.1.0-sggp #1' \
  '<3>"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.' \
  '<6>task:sggp-stall      state:D stack:0     pid:4242  ppid:1      flags:0x00004002' \
  '<4>Call Trace:' \
  '<4> <TASK>' \
  '<4> __schedule+0x34d/0x9e0' \
  '<4> schedule+0x5a/0xd0' \
  '<4> kvm_async_pf_task_wait_schedule+0x9f/0x150' \
  '<4> __kvm_handle_async_pf+0x5b/0xa0' \
  '<4> exc_page_fault+0x6d/0x170' \
  '<4> asm_exc_page_fault+0x22/0x30' \
  '<4> </TASK>'
do
  echo "$l" > /dev/kmsg
done
