-- want: memory
-- error: ..: the result would exceed 4 MiB
-- One concatenation of many big operands is refused before it is built.
function f(ctx)
  local s = string.rep("x", 1024 * 1024)
  return s .. s .. s .. s .. s .. s .. s .. s .. s .. s .. s .. s .. s .. s .. s .. s
end
