//go:build !unix

package sqlite

import (
	"errors"
	"os"
)

// lockDir is not implemented off Unix: syncbot ships for Linux.
func lockDir(dir string) (*os.File, error) {
	return nil, errors.New("sqlite: locking the data directory is only supported on Unix")
}
