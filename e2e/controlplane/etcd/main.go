// Command etcd is a thin wrapper so etcd can be built from the Go module proxy
// (`go install` refuses the server module because of its replace directives).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
