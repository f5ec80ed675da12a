// Command hostilegen writes every payload of wirefeed's hostile corpus
// (internal/hostile) into a directory, for measuring a wirefeed binary
// against them by hand (.ci/hostile-memory.sh does):
//
//	go run ./internal/hostile/hostilegen DIR
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/wirefeed/wirefeed/internal/hostile"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: hostilegen DIR")
		os.Exit(2)
	}
	all, err := hostile.All()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostilegen:", err)
		os.Exit(1)
	}
	for _, p := range all {
		if err := os.WriteFile(filepath.Join(os.Args[1], p.Name), p.Body(), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "hostilegen:", err)
			os.Exit(1)
		}
		fmt.Printf("%-32s %-8s %s\n", p.Name, p.Want, p.About)
	}
}
