-- want: memory
-- error: string.gsub: the result would exceed 4 MiB
-- Every character replaced by a MiB from a table.
function f(ctx)
  local big = string.rep("b", 1024 * 1024)
  return (string.rep("a", 100000):gsub("a", { a = big }))
end
