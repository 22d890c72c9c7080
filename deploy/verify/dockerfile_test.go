package main

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// goodDockerfile keeps every invariant; each case of TestCheckDockerfile
// breaks one.
const goodDockerfile = `# syntax=docker/dockerfile:1
ARG GO_VERSION=1.26.8
FROM golang:${GO_VERSION} AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
RUN go build -trimpath -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" -o /out/ownerbot ./cmd/bot

FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.source="https://github.com/ownerbot/ownerbot" \
      org.opencontainers.image.version="dev" \
      org.opencontainers.image.revision="unknown" \
      org.opencontainers.image.licenses="NOASSERTION"
COPY --from=build /out/ownerbot /usr/local/bin/ownerbot
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/ownerbot"]
CMD ["serve"]
`

func TestCheckDockerfileGood(t *testing.T) {
	if got := lines(checkDockerfile("Dockerfile", []byte(goodDockerfile), "1.26.0")); len(got) > 0 {
		t.Errorf("problems in the good Dockerfile: %q", got)
	}
}

// TestCheckDockerfileShipped checks the Dockerfile the project ships, with
// the project's go.mod.
func TestCheckDockerfileShipped(t *testing.T) {
	src, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goVersion, err := goDirective(gomod)
	if err != nil {
		t.Fatal(err)
	}
	if got := lines(checkDockerfile("deploy/Dockerfile", src, goVersion)); len(got) > 0 {
		t.Errorf("problems in deploy/Dockerfile:\n%q", got)
	}
}

func TestCheckDockerfile(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		more     [][2]string // further edits, old and new
		goMod    string
		want     []string
	}{
		{
			name: "one stage",
			old:  "RUN go build -trimpath -ldflags \"-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}\" -o /out/ownerbot ./cmd/bot\n\nFROM gcr.io/distroless/static-debian12:nonroot\n",
			new:  "RUN go build -trimpath -ldflags \"-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}\" -o /out/ownerbot ./cmd/bot\n",
			want: []string{
				"Dockerfile:1: one stage only: build in a stage of its own and copy only the binary into the runtime stage",
				"Dockerfile: no stage before the last runs `go build`: the binary must be built in a stage of its own",
				`Dockerfile:3: the final stage starts from "golang:1.26.8": want gcr.io/distroless/static-debian12:nonroot (static, non-root, no shell)`,
				"Dockerfile:7: RUN in the final stage: the runtime image has no shell; do the work in the build stage",
				"Dockerfile:11: RUN in the final stage: the runtime image has no shell; do the work in the build stage",
			},
		},
		{
			name: "cgo",
			old:  "ENV CGO_ENABLED=0\n",
			new:  "ENV CGO_ENABLED=1\n",
			want: []string{"Dockerfile:3: the build stage does not set CGO_ENABLED=0: the binary would link libc, which distroless static lacks"},
		},
		{
			name: "cgo off on the command line",
			old:  "ENV CGO_ENABLED=0\n",
			new:  "ENV GOFLAGS=-mod=readonly\n",
			want: []string{"Dockerfile:3: the build stage does not set CGO_ENABLED=0: the binary would link libc, which distroless static lacks"},
		},
		{
			name: "cgo off inline",
			old:  "ENV CGO_ENABLED=0\n",
			new:  "",
			more: [][2]string{{"RUN go build", "RUN CGO_ENABLED=0 go build"}},
		},
		{
			name: "no trimpath",
			old:  "go build -trimpath -ldflags",
			new:  "go build -ldflags",
			want: []string{"Dockerfile:11: `go build` without -trimpath: the binary would carry the builder's paths"},
		},
		{
			name: "not stripped",
			old:  `-ldflags "-s -w -X`,
			new:  `-ldflags "-X`,
			want: []string{
				"Dockerfile:11: -ldflags lacks -s: the binary would keep its symbol table and debug data",
				"Dockerfile:11: -ldflags lacks -w: the binary would keep its symbol table and debug data",
			},
		},
		{
			name: "not stamped",
			old:  ` -X main.commit=${COMMIT}"`,
			new:  `"`,
			want: []string{"Dockerfile:11: -ldflags does not stamp main.commit=…: `ownerbot version` would not say what it is"},
		},
		{
			name: "modules downloaded with the sources",
			old:  "COPY go.mod go.sum ./\nRUN go mod download\nCOPY . .\n",
			new:  "COPY . .\nRUN go mod download\n",
			want: []string{"Dockerfile:7: `go mod download` runs after COPY of the whole context: its layer is rebuilt on every source change; copy go.mod and go.sum first"},
		},
		{
			name: "modules never downloaded",
			old:  "RUN go mod download\n",
			new:  "",
			want: []string{"Dockerfile:3: the build stage never runs `go mod download`: modules would be fetched again on every source change"},
		},
		{
			name: "go image not pinned",
			old:  "ARG GO_VERSION=1.26.8",
			new:  "ARG GO_VERSION=1.26",
			want: []string{`Dockerfile:3: the build stage starts from "golang:1.26": want the official Go image at a full release (golang:1.x.y)`},
		},
		{
			name:  "go image older than go.mod",
			goMod: "1.27.0",
			want:  []string{"Dockerfile:3: the build stage's Go 1.26.8 is older than go.mod's go 1.27.0"},
		},
		{
			name: "other runtime image",
			old:  "FROM gcr.io/distroless/static-debian12:nonroot",
			new:  "FROM gcr.io/distroless/base-debian12:nonroot",
			want: []string{`Dockerfile:13: the final stage starts from "gcr.io/distroless/base-debian12:nonroot": want gcr.io/distroless/static-debian12:nonroot (static, non-root, no shell)`},
		},
		{
			name: "root runtime image",
			old:  "FROM gcr.io/distroless/static-debian12:nonroot",
			new:  "FROM gcr.io/distroless/static-debian12:latest",
			want: []string{`Dockerfile:13: the final stage starts from "gcr.io/distroless/static-debian12:latest": want gcr.io/distroless/static-debian12:nonroot (static, non-root, no shell)`},
		},
		{
			name: "runtime image pinned by digest",
			old:  "FROM gcr.io/distroless/static-debian12:nonroot",
			new:  "FROM gcr.io/distroless/static-debian12:nonroot@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		},
		{
			name: "no user",
			old:  "USER 65532:65532\n",
			new:  "",
			want: []string{"Dockerfile:13: no USER in the final stage: the binary would run as root"},
		},
		{
			name: "named user",
			old:  "USER 65532:65532",
			new:  "USER nonroot:nonroot",
			want: []string{
				"Dockerfile:19: USER nonroot:nonroot is not numeric: Kubernetes can only verify runAsNonRoot for a numeric uid",
				"Dockerfile:19: USER nonroot:nonroot: the group is not numeric",
			},
		},
		{
			name: "root user",
			old:  "USER 65532:65532",
			new:  "USER 0",
			want: []string{"Dockerfile:19: USER 0 is root"},
		},
		{
			name: "user in the build stage only",
			old:  "USER 65532:65532\n",
			new:  "",
			more: [][2]string{{"WORKDIR /src\n", "WORKDIR /src\nUSER 65532\n"}},
			want: []string{"Dockerfile:14: no USER in the final stage: the binary would run as root"},
		},
		{
			name: "shell-form entrypoint",
			old:  `ENTRYPOINT ["/usr/local/bin/ownerbot"]`,
			new:  `ENTRYPOINT /usr/local/bin/ownerbot`,
			want: []string{"Dockerfile:21: ENTRYPOINT in shell form needs /bin/sh, which the runtime image lacks, and would not pass signals on: write it as a JSON array"},
		},
		{
			name: "shell-form cmd",
			old:  `CMD ["serve"]`,
			new:  `CMD serve`,
			want: []string{"Dockerfile:22: CMD in shell form needs /bin/sh, which the runtime image lacks: write it as a JSON array"},
		},
		{
			name: "entrypoint not copied",
			old:  `ENTRYPOINT ["/usr/local/bin/ownerbot"]`,
			new:  `ENTRYPOINT ["/ownerbot"]`,
			want: []string{`Dockerfile:21: ENTRYPOINT runs "/ownerbot", which no COPY in the final stage puts there`},
		},
		{
			name: "entrypoint copied into a directory",
			old:  "COPY --from=build /out/ownerbot /usr/local/bin/ownerbot",
			new:  "COPY --from=build /out/ownerbot /usr/local/bin/",
		},
		{
			name: "run in the final stage",
			old:  "USER 65532:65532\n",
			new:  "RUN mkdir /cache\nUSER 65532:65532\n",
			want: []string{"Dockerfile:19: RUN in the final stage: the runtime image has no shell; do the work in the build stage"},
		},
		{
			name: "add from a URL",
			old:  "COPY go.mod go.sum ./\n",
			new:  "COPY go.mod go.sum ./\nADD https://example.com/tool.tar.gz /tmp/\n",
			want: []string{"Dockerfile:7: ADD fetches https://example.com/tool.tar.gz at build time: the build is then neither reproducible nor reviewable; vendor the file and COPY it"},
		},
		{
			name: "add from git",
			old:  "COPY go.mod go.sum ./\n",
			new:  "COPY go.mod go.sum ./\nADD git@github.com:acme/tools.git /tools\n",
			want: []string{"Dockerfile:7: ADD fetches git@github.com:acme/tools.git at build time: the build is then neither reproducible nor reviewable; vendor the file and COPY it"},
		},
		{
			name: "port not exposed",
			old:  "EXPOSE 8080\n",
			new:  "EXPOSE 9090\n",
			want: []string{"Dockerfile:13: the final stage does not EXPOSE 8080, serve's port"},
		},
		{
			name: "label missing",
			old:  "      org.opencontainers.image.licenses=\"NOASSERTION\"\n",
			new:  "      org.opencontainers.image.title=\"ownerbot\"\n",
			want: []string{"Dockerfile:13: the final stage has no LABEL org.opencontainers.image.licenses"},
		},
		{
			name: "BuildKit's own checks",
			old:  "FROM golang:${GO_VERSION} AS build",
			new:  "FROM golang:${GO_VERSION} as build",
			want: []string{"Dockerfile:3: BuildKit check FromAsCasing: 'as' and 'FROM' keywords' casing do not match"},
		},
		{
			name: "does not parse",
			old:  "USER 65532:65532",
			new:  "USER",
			want: []string{"Dockerfile: does not parse: dockerfile parse error on line 19: USER requires exactly one argument"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := goodDockerfile
			if tt.old != "" {
				src = edit(t, src, tt.old, tt.new)
			}
			for _, e := range tt.more {
				src = edit(t, src, e[0], e[1])
			}
			goMod := tt.goMod
			if goMod == "" {
				goMod = "1.26.0"
			}
			got := lines(checkDockerfile("Dockerfile", []byte(src), goMod))
			if len(got) == 0 {
				got = nil
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int // sign
	}{
		{"1.26.8", "1.26.0", 1},
		{"1.26", "1.26.0", 0},
		{"1.9.0", "1.26.0", -1},
		{"2.0.0", "1.99.99", 1},
	}
	for _, tt := range tests {
		got := compareVersions(tt.a, tt.b)
		if (got > 0) != (tt.want > 0) || (got < 0) != (tt.want < 0) {
			t.Errorf("compareVersions(%q, %q) = %d, want the sign of %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestGoDirective(t *testing.T) {
	got, err := goDirective([]byte("module x\n\ngo 1.26.0\n\nrequire y v1.0.0\n"))
	if err != nil || got != "1.26.0" {
		t.Errorf("goDirective = %q, %v; want 1.26.0", got, err)
	}
	if _, err := goDirective([]byte("module x\n")); err == nil {
		t.Error("goDirective without a go line: no error")
	}
}
