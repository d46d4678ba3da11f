-- want: memory
-- error: memory limit of 16 MiB exceeded
function f(ctx)
  local k = 5e7
  return { [k] = true }
end
