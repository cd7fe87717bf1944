package tools

import "errors"

// Errors of a service run. The caller hears the fallback message for every
// one of them; they tell logs and `tools call` why.
var (
	// ErrMissingFields: a required field was not collected.
	ErrMissingFields = errors.New("missing required fields")
	// ErrRender: a value could not be rendered, such as text for a number filter.
	ErrRender = errors.New("cannot render the request")
	// ErrStatus: the service answered with a non-2xx status that no
	// responseCondition handles.
	ErrStatus = errors.New("service answered with an error status")
	// ErrTooLarge: the response was larger than the executor accepts.
	ErrTooLarge = errors.New("response too large")
	// ErrTransport: the service could not be reached or did not answer in time.
	ErrTransport = errors.New("service unreachable")
	// ErrRefused: the service's address is link-local or a cloud metadata
	// endpoint (RefusedError says which); never retried.
	ErrRefused = errors.New("address refused")
	// ErrUnsetEnv: the service's endpoint or headers still hold the ${VAR}
	// of an environment variable that was unset when the agent loaded
	// (configs.Service.Unset); the request is not sent.
	ErrUnsetEnv = errors.New("unset environment variable")
	// ErrToolError: an MCP tool answered with isError.
	ErrToolError = errors.New("the tool reported an error")
	// ErrNotHTTP: an MCP tool was given to the HTTP executor.
	ErrNotHTTP = errors.New("an MCP tool is not called over HTTP")
)
