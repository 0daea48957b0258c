package main

import (
	"os/exec"
	"syscall"
)

// dieWithTest has the kernel kill a node when the test process dies: a
// panicking or killed test runs no cleanup, and its nodes would keep
// serving (and holding database connections) after it.
func dieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
