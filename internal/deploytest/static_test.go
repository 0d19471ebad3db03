package deploytest

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// staticProblems reports why an ELF binary is not statically linked: a
// PT_INTERP program header (it needs a dynamic loader, which distroless/
// static does not have) or DT_NEEDED entries (shared libraries).
func staticProblems(path string) (problems, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var p problems
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			interp := make([]byte, prog.Filesz)
			if _, err := prog.ReadAt(interp, 0); err != nil {
				return nil, err
			}
			p.add(path, "has an interpreter (PT_INTERP %s)", bytes.TrimRight(interp, "\x00"))
		}
	}
	needed, err := f.DynString(elf.DT_NEEDED)
	if err != nil {
		return nil, err
	}
	for _, lib := range needed {
		p.add(path, "needs the shared library %s (DT_NEEDED)", lib)
	}
	return p, nil
}

// TestReleaseBinaryIsStatic builds cmd/bot as the Dockerfile does
// (CGO_ENABLED=0, -trimpath, for Linux) and checks that it is static: the
// image is distroless/static, which has no libc and no dynamic loader.
func TestReleaseBinaryIsStatic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the release binary")
	}
	t.Parallel()
	out := filepath.Join(t.TempDir(), "syncbot")
	// The same -X flags as the Dockerfile: a renamed variable would
	// otherwise leave every release saying "dev".
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-X main.version=vTEST -X main.commit=cTEST", "-o", out, "./cmd/bot")
	cmd.Dir = repoRoot(t)
	// GOOS=linux: the image is Linux whatever the developer's machine is.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build -trimpath ./cmd/bot: %v\n%s", err, b)
	}
	p, err := staticProblems(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, problem := range p {
		t.Error(problem)
	}
	if runtime.GOOS == "linux" {
		v, err := exec.Command(out, "version").CombinedOutput()
		if err != nil || !strings.HasPrefix(string(v), "syncbot vTEST, commit cTEST, ") {
			t.Errorf("syncbot version: %v\n%s", err, v)
		}
	}
}

// TestStaticCheckRejectsDynamic runs the same check on a dynamically linked
// system binary, so that a check gone blind fails here.
func TestStaticCheckRejectsDynamic(t *testing.T) {
	t.Parallel()
	for _, candidate := range []string{"/bin/sh", "/usr/bin/env", "/bin/ls"} {
		f, err := elf.Open(candidate)
		if err != nil {
			continue
		}
		dynamic := false
		for _, prog := range f.Progs {
			dynamic = dynamic || prog.Type == elf.PT_INTERP
		}
		f.Close()
		if !dynamic {
			continue // a static busybox, say
		}
		p, err := staticProblems(candidate)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) < 2 {
			t.Errorf("%s: want both PT_INTERP and DT_NEEDED reported, got %v", candidate, p)
		}
		t.Logf("%s: %v", candidate, p)
		return
	}
	t.Fatal("no dynamically linked ELF system binary found to check the checker with")
}
