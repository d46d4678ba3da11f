-- want: memory
-- error: memory limit of 16 MiB exceeded
function f(ctx)
  ctx.vars[5e7] = 1
end
