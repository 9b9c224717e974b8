import os, time, torch, torch.distributed as dist
t0 = time.time()
dist.init_process_group("nccl")
r = dist.get_rank(); torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))
x = torch.ones(1024, device="cuda") * (r + 1)
dist.all_reduce(x)
torch.cuda.synchronize()
print(f"rank {r}: sum={x[0].item()} expected={sum(range(1, dist.get_world_size()+1))} in {time.time()-t0:.2f}s", flush=True)
dist.destroy_process_group()
