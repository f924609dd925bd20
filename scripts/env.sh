# Sourced by the scripts: the environment Debian's Emscripten 3.1.6 needs.
# Its JS optimizer runs on node and needs Debian's node modules (acorn, ...): without NODE_PATH every -O1+ link fails with "Cannot find module 'acorn'".
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
