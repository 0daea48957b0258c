// Command stoppg stops the private PostgreSQL cluster that localpg may have
// started for `make run` or the tests.
//
//	stoppg [-status] [datadir]   (datadir defaults to .data/pg)
//
// With -status it stops nothing: it exits 0 if the cluster runs, 3 if not.
package main

import (
	"flag"
	"fmt"
	"os"

	"lumdesk/internal/platform/localpg"
)

func main() {
	status := flag.Bool("status", false, "only report whether the cluster runs (exit 0) or not (exit 3)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: stoppg [-status] [datadir]")
		flag.PrintDefaults()
	}
	flag.Parse()
	dir := ".data/pg"
	switch flag.NArg() {
	case 0:
	case 1:
		dir = flag.Arg(0)
	default:
		flag.Usage()
		os.Exit(2)
	}

	if *status {
		port, running, err := localpg.PrivateRunning(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "stoppg:", err)
			os.Exit(1)
		}
		if !running {
			fmt.Printf("no cluster running in %s\n", dir)
			os.Exit(3)
		}
		fmt.Printf("cluster in %s running on port %d\n", dir, port)
		return
	}
	if err := localpg.StopPrivate(dir); err != nil {
		fmt.Fprintln(os.Stderr, "stoppg:", err)
		os.Exit(1)
	}
}
