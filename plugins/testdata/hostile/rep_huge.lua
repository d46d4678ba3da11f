-- want: memory
-- error: string.rep: the result would exceed 4 MiB
function f(ctx)
  return ("xy"):rep(1e15)
end
