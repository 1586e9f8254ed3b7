//go:build js && wasm

// Command wasm is the booth's WebAssembly module: package booth, compiled
// for the browser with the standard Go toolchain,
//
//	GOOS=js GOARCH=wasm go build -trimpath -ldflags=-s -o web/booth/eo.wasm ./booth/wasm
//
// (go generate ./web/booth does it and copies the toolchain's
// wasm_exec.js beside it). Started by wasm_exec.js's Go.run, it sets
// globalThis.eoBooth to an object of three functions, which
// web/booth/eo.js wraps:
//
//	encryptBallot(requestJSON) → resultJSON | Error   (booth.Encrypt)
//	auditBallot(requestJSON)   → resultJSON | Error   (booth.Audit)
//	checkAudit(requestJSON)    → resultJSON | Error   (booth.CheckAudit)
//
// then calls globalThis.eoBoothReady, if set, and waits for calls. An
// error, or a panic, is returned as a JavaScript Error with the message;
// the module goes on serving. The randomness is the browser's
// (crypto.getRandomValues, through crypto/rand). A test build (-tags
// boothtesting, testing.go) adds the test-only functions that take a seed.
package main

import (
	"encoding/json"
	"fmt"
	"syscall/js"

	"github.com/eo-mixnet/eo/booth"
)

// api is the object set as globalThis.eoBooth.
var api = map[string]func(req []byte) (any, error){
	"encryptBallot": func(req []byte) (any, error) {
		r, err := booth.DecodeRequest(req)
		if err != nil {
			return nil, err
		}
		return booth.Encrypt(nil, r)
	},
	"auditBallot": func(req []byte) (any, error) {
		r, err := booth.DecodeRequest(req)
		if err != nil {
			return nil, err
		}
		return booth.Audit(nil, r)
	},
	"checkAudit": func(req []byte) (any, error) {
		r, err := booth.DecodeAuditRequest(req)
		if err != nil {
			return nil, err
		}
		return booth.CheckAudit(r)
	},
}

// export wraps f as a JavaScript function of one string.
func export(f func([]byte) (any, error)) js.Func {
	return js.FuncOf(func(this js.Value, args []js.Value) (ret any) {
		jsError := js.Global().Get("Error")
		defer func() {
			if p := recover(); p != nil {
				ret = jsError.New(fmt.Sprintf("booth: internal error: %v", p))
			}
		}()
		if len(args) != 1 || args[0].Type() != js.TypeString {
			return jsError.New("booth: the request must be one JSON string")
		}
		out, err := f([]byte(args[0].String()))
		if err != nil {
			return jsError.New(err.Error())
		}
		b, err := json.Marshal(out)
		if err != nil {
			return jsError.New("booth: internal error: " + err.Error())
		}
		return string(b)
	})
}

func main() {
	obj := js.Global().Get("Object").New()
	for name, f := range api {
		obj.Set(name, export(f))
	}
	js.Global().Set("eoBooth", obj)
	if ready := js.Global().Get("eoBoothReady"); ready.Type() == js.TypeFunction {
		ready.Invoke()
	}
	select {}
}
