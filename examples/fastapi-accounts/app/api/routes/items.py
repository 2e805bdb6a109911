import uuid

from fastapi import APIRouter, HTTPException
from sqlmodel import col, func, select

from app import crud
from app.api.deps import CurrentUser, SessionDep
from app.models import Item, ItemCreate, ItemPublic, ItemsPublic, Message

router = APIRouter(prefix="/items", tags=["items"])


@router.get("/", response_model=ItemsPublic)
def read_items(session: SessionDep, current_user: CurrentUser, skip: int = 0, limit: int = 100):
    """Retrieve the current user's items (all items for a superuser)."""
    count_statement = select(func.count()).select_from(Item)
    statement = select(Item)
    if not current_user.is_superuser:
        count_statement = count_statement.where(Item.owner_id == current_user.id)
        statement = statement.where(Item.owner_id == current_user.id)
    count = session.exec(count_statement).one()
    items = session.exec(statement.order_by(col(Item.title), col(Item.id)).offset(skip).limit(limit)).all()
    return ItemsPublic(data=items, count=count)


@router.post("/", response_model=ItemPublic)
def create_item(session: SessionDep, current_user: CurrentUser, item_in: ItemCreate):
    """Create new item."""
    return crud.create_item(session=session, item_in=item_in, owner_id=current_user.id)


@router.delete("/{id}")
def delete_item(session: SessionDep, current_user: CurrentUser, id: uuid.UUID) -> Message:
    """Delete an item. Another user's item is not found, so its existence does not leak."""
    item = session.get(Item, id)
    if not item or (not current_user.is_superuser and item.owner_id != current_user.id):
        raise HTTPException(status_code=404, detail="Item not found")
    session.delete(item)
    session.commit()
    return Message(message="Item deleted successfully")
