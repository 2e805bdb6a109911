from fastapi import APIRouter, HTTPException
from sqlalchemy.exc import IntegrityError

from app import crud
from app.api.deps import CurrentUser, SessionDep
from app.models import UserCreate, UserPublic, UserRegister

router = APIRouter(prefix="/users", tags=["users"])

EMAIL_TAKEN = "The user with this email already exists in the system"


@router.get("/me", response_model=UserPublic)
def read_user_me(current_user: CurrentUser):
    """Get current user."""
    return current_user


@router.post("/signup", response_model=UserPublic)
def register_user(session: SessionDep, user_in: UserRegister):
    """Create new user without the need to be logged in."""
    user = crud.get_user_by_email(session=session, email=user_in.email)
    if user:
        raise HTTPException(status_code=400, detail=EMAIL_TAKEN)
    user_create = UserCreate.model_validate(user_in)
    try:
        return crud.create_user(session=session, user_create=user_create)
    except IntegrityError:
        # Two sign-ups with the same email at once: the unique index decides.
        session.rollback()
        raise HTTPException(status_code=400, detail=EMAIL_TAKEN)
