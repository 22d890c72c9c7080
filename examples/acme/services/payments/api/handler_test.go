package api

import "testing"

func TestHandle(t *testing.T) { Handle() }
