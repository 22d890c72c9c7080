package cli

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ownerbot/ownerbot/internal/datasettest"
)

// BenchmarkOwnersCommand runs `ownerbot owners --codeowners FILE` over a
// dataset's whole file list on standard input, as a user pipes `git ls-files`
// into it, next to a loop that only reads the same lines and writes them back.
// match-share-% is the part of the command's time not spent on that I/O:
// parsing the CODEOWNERS file and matching.
func BenchmarkOwnersCommand(b *testing.B) {
	for _, name := range []string{"apache__nuttx", "DataDog__dd-trace-java", "tldr-pages__tldr"} {
		b.Run(name, func(b *testing.B) {
			ds := datasettest.Load(b, name)
			input := []byte(strings.Join(ds.Files, "\n") + "\n")
			file := filepath.Join(ds.Dir, "CODEOWNERS")
			command := func() {
				code := Main(context.Background(), IO{Stdin: bytes.NewReader(input), Stdout: io.Discard, Stderr: io.Discard},
					Build{}, []string{"owners", "--codeowners", file})
				if code != ExitOK {
					b.Fatalf("exit %d", code)
				}
			}
			ioOnly := func() {
				sc := bufio.NewScanner(bytes.NewReader(input))
				out := bufio.NewWriterSize(io.Discard, 64<<10)
				for sc.Scan() {
					out.Write(sc.Bytes())
					out.WriteString("\t\n")
				}
				out.Flush()
			}
			var full, base time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				command()
				full += time.Since(start)
				start = time.Now()
				ioOnly()
				base += time.Since(start)
			}
			b.ReportMetric(float64(full.Nanoseconds())/float64(b.N*len(ds.Files)), "ns/path")
			b.ReportMetric(100*float64(full-base)/float64(full), "match-share-%")
		})
	}
}
