//! Sessions (cookie), CSRF tokens, and the language of a request.
