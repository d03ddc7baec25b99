"""HTTP at the edge: serving (waitress), the gate every request passes before its body is read
(host, origin, access, size), security headers, and the path facts both need."""
