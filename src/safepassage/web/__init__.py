"""Web pages served by the operations API: plain HTML, rendered on the server, with no script,
font, stylesheet or image from anywhere else, so they work offline and on old phones."""
