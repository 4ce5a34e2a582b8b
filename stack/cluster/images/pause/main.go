// pause is the process that holds each pod's namespaces open (the pod
// "sandbox") in the local cluster, where no image registry is reachable to
// pull the upstream one. It does nothing but wait: as PID 1 of the pod it
// reaps orphaned children, and it exits cleanly on SIGINT or SIGTERM so that
// stopping a pod never waits for the kill timeout.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for received := range signals {
		if received == syscall.SIGCHLD {
			reapChildren()
			continue
		}
		os.Exit(0)
	}
}

// reapChildren collects every exited child without blocking, so that no
// zombie process stays in the pod's PID namespace.
func reapChildren() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
