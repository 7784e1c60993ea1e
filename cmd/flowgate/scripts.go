package main

import (
	"fmt"
	"io"

	"flowgate/lua/scripts"
)

// runScripts is `flowgate scripts check DIR`: load every user script
// without running hooks and report what would not work on flowgate. It
// exits 1 when it finds a problem, so it can guard a deployment.
func runScripts(args []string, stdout, stderr io.Writer) int {
	if len(args) != 2 || args[0] != "check" {
		fmt.Fprintln(stderr, "usage: flowgate scripts check DIR")
		return 2
	}
	problems, err := scripts.Check(args[1], stdout)
	if err != nil {
		fmt.Fprintf(stderr, "flowgate scripts check: %v\n", err)
		return 2
	}
	if problems > 0 {
		fmt.Fprintf(stdout, "%d problem(s) found\n", problems)
		return 1
	}
	fmt.Fprintln(stdout, "no problems found")
	return 0
}
